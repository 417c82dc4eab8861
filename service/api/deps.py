"""What routes depend on, as `Annotated` aliases; built once by the app's lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from service.api.access import Access
from service.ask.service import AskService
from service.core.embedder import Embedder
from service.retrieval.lexical_view import LexicalView
from service.retrieval.live_index import LiveIndex
from service.retrieval.retriever import Retriever
from service.settings import Settings


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    index: LiveIndex
    lexical: LexicalView
    retriever: Retriever
    ask: AskService
    # When the services were built (the `created` of the OpenAI model card).
    started: float = field(default_factory=time.time)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_settings(services: Annotated[Services, Depends(get_services)]) -> Settings:
    return services.settings


def get_ask(services: Annotated[Services, Depends(get_services)]) -> AskService:
    return services.ask


def get_index(services: Annotated[Services, Depends(get_services)]) -> LiveIndex:
    return services.index


def get_access(request: Request) -> Access:
    access: Access = request.app.state.access
    return access


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AskDep = Annotated[AskService, Depends(get_ask)]
IndexDep = Annotated[LiveIndex, Depends(get_index)]
