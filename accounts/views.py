from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import render


class LoginView(auth_views.LoginView):
    """Login at a tenant's host, with the tenant-scoped backend. The accounts issue replaces
    it with allauth's login, driven by the tenant's policy."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        if request.tenant is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def signup(request):
    if request.tenant is None:
        raise Http404
    return render(request, "accounts/signup.html")
