"""The HTTP API, the chat page and the embeddable widget: `create_app(settings) -> FastAPI`.

Stateless by design: a conversation travels whole with every request, answers come from the
index in the data directory (and Chroma, embedded or a server). What API processes must agree on
(the rate limits, the chat-offline switch, ingest jobs, feedback) lives in Redis when
ALGORITMEWIJZER_REDIS_URL is set, else in this process (rate limits) and in the data directory.

The parts: routers per resource (web/routers), dependencies (web/dependencies.py), problems
(web/problems.py), middleware (web/middleware.py), the index loader (web/runtime.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI

from assistant.settings import Settings, get_settings
from guardrails.text import normalise_input
from web.dependencies import Services
from web.feedback import Feedback, RedisFeedback, SQLiteFeedback
from web.jobs import IngestJobs
from web.middleware import install_middleware, valid_origins
from web.problems import install_problem_handlers, problem_openapi
from web.ratelimit import RateLimiter
from web.routers import admin, chat, feedback, health, register
from web.routers.static import static_router
from web.runtime import Runtime
from web.shared import offline_switch, redis_client

log = logging.getLogger("algoritmewijzer.web")
DESCRIPTION = ("Questions and answers about the Dutch national Algorithm Register (algoritmes.overheid.nl). "
               "Errors are application/problem+json (RFC 9457), with title and detail in Dutch or English (Accept-Language).")


def build_services(settings: Settings, index: Any = None) -> Services:
    runtime = Runtime(settings, index=index)
    store = RedisFeedback(redis_client(settings.redis_url)) if settings.redis_url else SQLiteFeedback(settings.data_dir)
    state = Services(
        settings=settings,
        runtime=runtime,
        offline=offline_switch(settings.data_dir, settings.redis_url),
        limiter=RateLimiter(settings.rate_limit, redis_url=settings.redis_url),
        feedback=Feedback(store, normalise_input),
        origins=valid_origins(settings.allowed_origin_list, log.warning),
        admin_key=settings.admin_api_key.get_secret_value() if settings.admin_api_key else "",
    )
    if state.admin_key:
        state.jobs = IngestJobs(settings, on_success=lambda: runtime.ready or runtime.try_load())
    return state


def create_app(settings: Settings | None = None, *, index: Any = None) -> FastAPI:
    settings = settings or get_settings()
    state = build_services(settings, index)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Questions are CPU work (the embedding model, the search, the rails): `answer_threads` bounds
        # how many run at once, so the rest queue in order instead of all slowing down together.
        if settings.answer_threads:
            state.answering = anyio.CapacityLimiter(settings.answer_threads)
        state.runtime.start()
        try:
            yield
        finally:
            state.runtime.stop()

    app = FastAPI(title="Algoritmewijzer API", version="1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url="/docs", redoc_url=None)
    app.state.services = state
    app.state.runtime = state.runtime  # for tests and tools that load the index themselves
    app.state.jobs = state.jobs
    install_problem_handlers(app, settings.max_request_bytes)
    problem_openapi(app)
    install_middleware(app, origins=state.origins, allowed_hosts=settings.allowed_host_list,
                       trusted_proxies=settings.trusted_proxy_list, max_request_bytes=settings.max_request_bytes)
    for router in (health.router, chat.router, feedback.router, register.router):
        app.include_router(router)
    if state.admin_key:  # without a key the admin API does not exist
        app.include_router(admin.router)
    app.include_router(static_router())
    return app
