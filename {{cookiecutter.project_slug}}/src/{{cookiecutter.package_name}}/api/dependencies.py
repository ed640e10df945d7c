"""What the object routes borrow from the running app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.exceptions import HTTPException

from ..server.resources import Resources, get_resources
from ..storage import Storage


def get_storage(resources: Annotated[Resources, Depends(get_resources)]) -> Storage:
    """The backend the lifespan opened (`storage.backend`); 503 while there is none."""
    if resources.storage is None:
        raise HTTPException(503, "Object storage is off: turn S3 on (s3.enabled, s3.bucket)")
    return resources.storage


ResourcesDep = Annotated[Resources, Depends(get_resources)]
StorageDep = Annotated[Storage, Depends(get_storage)]

__all__ = ["ResourcesDep", "StorageDep", "get_storage"]
