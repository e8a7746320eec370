"""Tables of the smart search (EXP-15): saved searches (a name, an owner, the condition tree, shared or not)."""
from piccolo.columns import JSONB, Boolean, ForeignKey, OnDelete, Varchar
from piccolo.table import Table

from app.core.tables import AppUser, Stamped


class ExpSavedSearch(Stamped, Table, tablename="exp_saved_search"):
    """A saved smart search: `query` holds {"q": keyword, "tree": condition tree}; shared ones are listed for
    every admin of the pool, who still sees contacts only by the reveal rule when re-running one."""
    name = Varchar(length=80)
    owner = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    query = JSONB(default="{}")
    shared = Boolean(default=False)
