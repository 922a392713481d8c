"""The studio: a local web app over the three pipelines (`python -m pipelines.studio`).

Design a game and watch the agents work, compose and listen, ask about a clip; every run is the
command lines' own, its files in the same output folder. Server-rendered pages (FastAPI, Jinja2),
one small script, every asset served from `static/`.
"""

from tools.exports import lazy_exports

__all__ = ["Studio", "create_app"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "pipelines.studio.app": ("create_app",),
        "pipelines.studio.services": ("Studio",),
    },
)
