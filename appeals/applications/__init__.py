"""Applications (a contract, guide 003; a grid connection, guide 001): a sub-feature of appeals."""
