from piccolo.columns import ForeignKey, OnDelete, Text
from piccolo.table import Table

from directory.plugin_api import tables


class ForumPost(Table):
    """A post a provider writes on the network's forum."""

    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade)
    body = Text()
