"""The register index as a LangChain retriever: fused lexical + dense search, one Document per
entry with its best chunk as content and citable metadata."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ingest.index import Filters, RegisterIndex


class RegisterRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any  # RegisterIndex
    k: int = 10
    filters: Filters | None = None
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        index: RegisterIndex = self.index
        documents = []
        for hit in index.search(query, k=self.k, filters=self.filters, mode=self.mode):
            record = index.get(hit.lars)
            if record is None:
                continue
            best = hit.chunks[0]
            documents.append(
                Document(
                    page_content=best.text,
                    metadata={
                        "lars": record.lars,
                        "name": record.name,
                        "organization": record.organization,
                        "field": best.field,
                        "status": record.status,
                        "publication_category": record.publication_category,
                        "url": record.url,
                        "source": record.source,
                        "score": hit.score,
                    },
                )
            )
        return documents
