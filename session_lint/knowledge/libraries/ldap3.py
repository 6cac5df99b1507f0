"""ldap3: a ``Connection``'s operations (``bind``, ``search``, ``add``, ``modify``, ``delete``,
``compare``, ``start_tls``, the ``extend`` operations such as ``paged_search``) are round trips
to the directory server with the default synchronous strategy. Making a ``Connection`` with
``auto_bind`` also binds, but whether it does is in its arguments, which the table does not
read: the constructor is not declared."""

from session_lint.knowledge.declarations import Category, Kind, Library

CONNECTION = "ldap3.Connection"
OPERATIONS = ("open", "bind", "rebind", "unbind", "start_tls", "search", "add", "delete", "modify", "modify_dn",
              "compare", "abandon", "extend.*")

LIBRARY = Library(
    name="ldap3",
    category=Category.DATASTORE,
    summary="Connection bind, search, add, modify, extend.* ... (blocking)",
    calls=tuple((f"{CONNECTION}.{operation}", Kind.BLOCKING) for operation in OPERATIONS),
    classes=(CONNECTION,),
    aliases={"ldap3.core.connection.Connection": CONNECTION},
)
