"""What the object routes borrow from the running app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.exceptions import HTTPException

from ..features.objects import STORAGE, STORAGE_SETTINGS, StorageSettings
from ..server.resources import Resources, ResourcesDep, get_resources
from ..storage import Storage


async def get_storage(resources: Annotated[Resources, Depends(get_resources)]) -> Storage:
    """The backend the lifespan opened (`storage.backend`); 503 while there is none."""
    storage = resources.find(STORAGE)
    if storage is None:
        raise HTTPException(503, "Object storage is off: turn S3 on (s3.enabled, s3.bucket)")
    return storage


async def get_storage_settings(
    resources: Annotated[Resources, Depends(get_resources)],
) -> StorageSettings:
    """The `storage` section (limits) of the running service."""
    return resources.get(STORAGE_SETTINGS)


StorageDep = Annotated[Storage, Depends(get_storage)]
StorageSettingsDep = Annotated[StorageSettings, Depends(get_storage_settings)]

__all__ = [
    "ResourcesDep",
    "StorageDep",
    "StorageSettingsDep",
    "get_storage",
    "get_storage_settings",
]
