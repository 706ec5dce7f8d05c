"""Pages of the data-collection side: accounts and their syncs, connecting a platform, importing
export files and downloading data. Every page is scoped to a workspace (``workspace_required``),
except the OAuth callback, whose workspace travels in the state it checks."""
