"""Demo data: a fictional brand with 18 months of deterministic history on five platforms.

``seed`` holds the services that write it; ``generate`` is the pure generator they call;
``profiles`` and ``seasons`` are the brand's data and calendar; ``texts`` writes its posts.
"""

from connectors.demo.seed import (
    DEMO_DAYS,
    DEMO_SLUG,
    DemoSeedResult,
    DemoWritten,
    demo_workspace_seed,
    demo_workspace_topup,
    demo_workspaces_topup,
    demo_yesterday,
)

__all__ = [
    "DEMO_DAYS",
    "DEMO_SLUG",
    "DemoSeedResult",
    "DemoWritten",
    "demo_workspace_seed",
    "demo_workspace_topup",
    "demo_workspaces_topup",
    "demo_yesterday",
]
