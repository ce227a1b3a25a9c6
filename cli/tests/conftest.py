"""The `server` fixture (a real entented on the seed graph), from tests/python."""

from entente_fixtures import server  # noqa: F401  (a pytest fixture)
