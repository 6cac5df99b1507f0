"""hvac, HashiCorp Vault's client: reading and writing secrets (``client.read``, ``write``,
``secrets.kv.v2.read_secret_version`` ...), logging in (``auth.*``), token calls and ``sys``
operations are blocking requests to Vault."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "hvac.Client"
REQUESTS = ("read", "list", "write", "write_data", "delete", "get_policy", "lookup_token", "revoke_token",
            "renew_token", "logout", "is_authenticated", "login", "auth_cubbyhole", "auth.*", "secrets.*", "sys.*")

LIBRARY = Library(
    name="hvac",
    category=Category.CLOUD,
    summary="Vault client reads, writes, secrets engines, auth methods (blocking)",
    calls=tuple((f"{CLIENT}.{request}", Kind.BLOCKING) for request in REQUESTS),
    classes=(CLIENT,),
    aliases={"hvac.v1.Client": CLIENT},
)
