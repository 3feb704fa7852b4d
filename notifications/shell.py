"""What notifications puts into the page shell (portal.pages): nothing in the menu: «Мои
подписки» is reached from the profile (accounts/shell.py marks «Профиль» current there)."""

MENU = ()
