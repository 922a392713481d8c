"""The studio's pages: server-rendered (Jinja2) over the pipelines' own functions (`services`), with
one small script that streams a run's progress (server-sent events). No logic of its own beyond
presentation: every run is the command lines' run, every file the command lines' file.

Guards, in the order a request meets them (`guard`): the token, when the server has one (a query
`?token=` once, then a same-site cookie, or `Authorization: Bearer`); on loopback without one,
a Host that names this machine (a page elsewhere cannot reach the studio by DNS rebinding); for a
form post, an Origin that is the studio's own (another site's page cannot post to it).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from ontology.game_requests import MAX_PLAYERS
from ontology.music_drafts import MusicRequestError
from pipelines.audiorag import QuestionError
from pipelines.checkpoints import RunError, checked_run_id, new_run_id
from pipelines.gamegrammar import InvalidThemeError
from pipelines.studio import library
from pipelines.studio.jobs import Job, JobRunner
from pipelines.studio.safety import (
    AUDIO_SUFFIXES,
    StudioInputError,
    checked_clip,
    is_loopback,
    served_file,
    token_matches,
)
from pipelines.studio.services import Studio, explain

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
TOKEN_COOKIE = "studio_token"
FORM_OVERHEAD_BYTES = 64_000  # the multipart envelope and the question around an uploaded clip
POLL_S = 0.25  # how often an event stream looks for new progress lines

INPUT_ERRORS = (StudioInputError, InvalidThemeError, MusicRequestError, QuestionError, RunError)


def create_app(studio: Studio, *, token: str | None = None) -> FastAPI:
    """The studio over `studio`'s folders; with `token`, every request must carry it."""
    runner = JobRunner(explain)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        runner.shutdown()

    app = FastAPI(title="Generative Ontology studio", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if token is not None:
            given = (request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
                     or request.headers.get("authorization", "").removeprefix("Bearer ").strip() or None)
            if not token_matches(token, given):
                return page(request, "error.html", 401, message=(
                    "This studio needs its token: open the address it printed when it started "
                    "(…/?token=…), or send the header 'Authorization: Bearer <token>'."))
            if "token" in request.query_params:  # keep it in a cookie, out of the address bar and history
                response = RedirectResponse(request.url.remove_query_params("token"), 303)
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return response
        elif not is_loopback(request.url.hostname or ""):
            return page(request, "error.html", 403, message=(
                "This studio answers only addresses of this machine (127.0.0.1, localhost); "
                "to serve others, restart it with --host and use the token it prints."))
        origin = request.headers.get("origin")
        if request.method == "POST" and origin is not None and urlsplit(origin).netloc != request.url.netloc:
            return page(request, "error.html", 403, message="A form from another site cannot start runs here.")
        return await call_next(request)

    @app.exception_handler(StudioInputError)
    async def refused(request: Request, exc: StudioInputError) -> HTMLResponse:
        return page(request, "error.html", exc.status, message=str(exc))

    def start(kind: str, title: str, work: Callable[[Callable[[str], None]], str], result: str) -> RedirectResponse:
        job = runner.submit(kind, title, lambda progress: result.format(work(progress)))
        return RedirectResponse(f"/jobs/{job.id}", 303)

    # --- home, files, jobs -------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return page(request, "home.html", games=library.game_runs(studio.games)[:5],
                    sessions=library.sessions(studio.out, studio.sessions)[:5],
                    answers=library.answers(studio.out, studio.answers)[:5])

    @app.get("/files/{path:path}")
    def files(path: str) -> FileResponse:
        found, media_type = served_file(studio.out, path)
        return FileResponse(found, media_type=media_type)

    def job_or_404(job_id: str) -> Job:
        job = runner.get(job_id)
        if job is None:
            raise StudioInputError("No such run in this server's memory; finished runs are listed on the home page.",
                                   404)
        return job

    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str) -> HTMLResponse:
        job = job_or_404(job_id)
        return page(request, "job.html", job=job, ahead=runner.ahead_of(job))

    @app.get("/jobs/{job_id}/events")
    async def job_events(request: Request, job_id: str) -> StreamingResponse:
        """Progress lines as server-sent events (`id` counts them, so a reconnecting browser's
        Last-Event-ID resumes where it was), then one `done` or `failed` event."""
        job = job_or_404(job_id)
        last = request.headers.get("last-event-id", "0")
        sent = int(last) if last.isdigit() else 0

        async def stream() -> AsyncIterator[str]:
            nonlocal sent
            while True:
                lines, state = job.since(sent)
                for seconds, message in lines:
                    sent += 1
                    data = json.dumps({"seconds": round(seconds, 1), "message": message})
                    yield f"id: {sent}\nevent: progress\ndata: {data}\n\n"
                if state in ("done", "failed"):
                    data = json.dumps({"result": job.result, "error": job.error})
                    yield f"event: {state}\ndata: {data}\n\n"
                    return
                if await request.is_disconnected():
                    return
                await asyncio.sleep(POLL_S)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # --- GameGrammar -------------------------------------------------------------------------

    def games_page(request: Request, status: int = 200, **form: Any) -> HTMLResponse:
        return page(request, "games.html", status, runs=library.game_runs(studio.games), max_players=MAX_PLAYERS,
                    form=form)

    @app.get("/games", response_class=HTMLResponse)
    def games(request: Request) -> HTMLResponse:
        return games_page(request)

    @app.post("/games", response_model=None)
    async def design(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=8)
        theme, players_text = str(form.get("theme", "")), str(form.get("players", "")).strip()
        constraints, invent = str(form.get("constraints", "")), form.get("invent_rules") == "on"
        try:
            if players_text and not players_text.isdigit():
                raise InvalidThemeError(f"Players must be a whole number from 1 to {MAX_PLAYERS}.")
            state = studio.check_design(theme, int(players_text) if players_text else None, constraints)
        except INPUT_ERRORS as exc:
            return games_page(request, 400, error=str(exc), theme=theme, players=players_text,
                              constraints=constraints, invent_rules=invent)
        return start("design", f"Designing: {state.theme[:80]}",
                     lambda progress: studio.run_design(state, invent, progress), "/games/view?folder={}")

    @app.get("/games/view", response_class=HTMLResponse)
    def game(request: Request, folder: str = "") -> HTMLResponse:
        return page(request, "game.html", view=library.game_view(studio.out, studio.games, folder))

    # --- composition sessions ----------------------------------------------------------------

    def compose_page(request: Request, status: int = 200, **form: Any) -> HTMLResponse:
        return page(request, "compose.html", status, sessions=library.sessions(studio.out, studio.sessions),
                    form=form)

    @app.get("/compose", response_class=HTMLResponse)
    def compose(request: Request) -> HTMLResponse:
        return compose_page(request)

    @app.post("/compose", response_model=None)
    async def start_composition(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4)
        text = str(form.get("request", ""))
        try:
            studio.check_request(text)
        except INPUT_ERRORS as exc:
            return compose_page(request, 400, error=str(exc), text=text)
        return start("compose", f"Composing: {' '.join(text.split())[:80]}",
                     lambda progress: studio.run_compose(text, progress), "/sessions/{}")

    @app.get("/sessions/{session_id}", response_class=HTMLResponse)
    def session(request: Request, session_id: str) -> HTMLResponse:
        return page(request, "session.html", session=library.session(studio.out, studio.sessions,
                                                                         _plain(session_id)))

    @app.post("/sessions/{session_id}/{action}", response_model=None)
    async def revise(request: Request, session_id: str, action: str) -> Response:
        found = library.session(studio.out, studio.sessions, _plain(session_id))
        form = await request.form(max_files=0, max_fields=4)
        feedback = " ".join(str(form.get("feedback", "")).split())
        if action == "continue":
            if not feedback or len(feedback) > 2000:
                return page(request, "session.html", 400, session=found, feedback=feedback,
                            error="Feedback must be 1-2,000 characters, e.g. 'darker cadence, shorter second phrase'.")
            return start("feedback", f"Feedback on {found.id}: {feedback[:80]}",
                         lambda progress: studio.run_feedback(found.id, feedback, progress), "/sessions/{}")
        if action == "branch":
            return start("branch", f"Branching {found.id}" + (f": {feedback[:80]}" if feedback else ""),
                         lambda progress: studio.run_branch(found.id, feedback, progress), "/sessions/{}")
        raise StudioInputError(f"Unknown action {action!r}; use the forms on the session page.", 404)

    # --- AudioRAG ----------------------------------------------------------------------------

    limit = studio.settings.studio_max_upload_bytes

    def ask_page(request: Request, status: int = 200, **form: Any) -> HTMLResponse:
        return page(request, "ask.html", status, answers=library.answers(studio.out, studio.answers), form=form,
                    limit_mb=limit / 1e6, accept=",".join(AUDIO_SUFFIXES))

    @app.get("/ask", response_class=HTMLResponse)
    def ask_form(request: Request) -> HTMLResponse:
        return ask_page(request)

    @app.post("/ask", response_model=None)
    async def ask(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > limit + FORM_OVERHEAD_BYTES:  # refused before reading it
            return ask_page(request, 413 if declared.isdigit() else 411, error=(
                f"The upload is larger than {limit / 1e6:.0f} MB; choose a shorter clip."
                if declared.isdigit() else "The upload must state its length; send it from the form."))
        form = await request.form(max_files=1, max_fields=4)
        question, clip = str(form.get("question", "")), form.get("clip")
        try:
            question = studio.check_question(question)
            answer_id = new_run_id()
            path = None
            if isinstance(clip, UploadFile) and clip.filename:
                data = await clip.read(limit + 1)
                suffix = checked_clip(clip.filename, data[:16], len(data), limit)
                path = studio.keep_clip(answer_id, suffix, data)
        except INPUT_ERRORS as exc:
            status = exc.status if isinstance(exc, StudioInputError) else 400
            return ask_page(request, status, error=str(exc), question=question)
        finally:
            await form.close()
        return start("ask", f"Asking: {question[:80]}",
                     lambda progress: studio.run_ask(answer_id, question, path, progress), "/answers/{}")

    @app.get("/answers/{answer_id}", response_class=HTMLResponse)
    def answer(request: Request, answer_id: str) -> HTMLResponse:
        found = library.answer(studio.out, studio.answers, _plain(answer_id))
        return page(request, "answer.html", answer=found, link=_cited_link)

    return app


def _plain(identifier: str) -> str:
    """A session or answer id from the address, refused (404) unless it is a plain name."""
    try:
        return checked_run_id(identifier)
    except RunError as exc:
        raise StudioInputError(str(exc), 404) from exc


def _cited_link(source: str, quote_text: str) -> str | None:
    """A link to the quoted words in their page (a text fragment), for web sources only."""
    if urlsplit(source).scheme not in ("http", "https"):
        return None
    return f"{source.split('#', 1)[0]}#:~:text={quote(quote_text[:300], safe='')}"
