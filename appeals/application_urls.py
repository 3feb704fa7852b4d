"""Applications (a contract, guide 003; a grid connection, guide 001): their pages."""

urlpatterns = []
