"""python-ldap (``import ldap``): on a connection from ``ldap.initialize(uri)``, the synchronous
operations (``simple_bind_s``, ``search_s``, ``search_ext_s``, ``modify_s``, ``add_s``,
``whoami_s`` ...) and waiting for an asynchronous one's ``result`` block on the directory
server. ``initialize`` itself does not connect."""

from session_lint.knowledge.declarations import Category, Kind, Library

CONNECTION = "ldap.ldapobject.LDAPObject"
BLOCKING = ("*_s", "search_st", "result", "result[234]", "find_unique_entry", "get_naming_contexts")

LIBRARY = Library(
    name="python-ldap",
    category=Category.DATASTORE,
    summary="LDAPObject *_s operations (bind, search, modify, ...) and result() (blocking)",
    calls=tuple((f"{CONNECTION}.{method}", Kind.BLOCKING) for method in BLOCKING),
    classes=(CONNECTION,),
    aliases={"ldap.ldapobject.SimpleLDAPObject": CONNECTION, "ldap.ldapobject.ReconnectLDAPObject": CONNECTION,
             "ldap.functions.initialize": "ldap.initialize"},
    returns={"ldap.initialize": CONNECTION},
)
