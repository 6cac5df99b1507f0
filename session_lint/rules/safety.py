"""What the rules' documentation says of ``session-lint fix`` (SPEC section 4): one text per
rewrite, shared by the rules it resolves."""

EXTRACT = (
    "A handler whose session is used only before the slow call is rewritten by extraction (SPEC 4a): the session "
    "parameter is dropped and what the call needs is read inside `with <factory>() as db:`, attribute values "
    "copied into plain locals. *Safe* when every use of the loaded objects after the block can be replaced by an "
    "extracted value; *unsafe* (applied only with `--unsafe-fixes`) when an ORM object escapes the block whole, "
    "a decorator reads the removed parameter, or the factory does not commit and the block writes."
)

RELEASE = (
    "Otherwise the transaction is released where it is held (SPEC 4b): `db.commit()` (`await db.commit()` for an "
    "`AsyncSession`) right before the statement that makes the slow call, in the deepest function of the chain "
    "that names the session and holds it open there, with every attribute read after it copied into a local "
    "first when the factory expires on commit. *Safe* when the open transaction has only read; *unsafe* (applied "
    "only with `--unsafe-fixes`) when it has pending writes, which would be committed before the call instead of "
    "after it; *refused*, with the fact and the `file:line` of the function where a person must act, for a row "
    "lock, a savepoint or `begin()` block, a session shared with concurrent tasks, REPEATABLE READ or "
    "SERIALIZABLE, an object used whole after the release (it would load again), or a session the function "
    "cannot name (opened by a sub-dependency). Every rewrite is checked by running the analysis again on the "
    "rewritten code before anything is written."
)
