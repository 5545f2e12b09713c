"""The pipeline space: model families, preprocessing, and configuration -> Pipeline."""

from automl.space.models import (
    BUILTIN_FAMILIES,
    FAMILIES,
    FAMILY_GROUPS,
    BuildContext,
    ModelFamily,
    register_family,
    unregister_family,
)
from automl.space.pipeline_space import (
    MODEL,
    SPACE_VERSION,
    DataDescription,
    PipelineSpace,
    build_pipeline,
    expand_families,
)

__all__ = [
    "BUILTIN_FAMILIES",
    "FAMILIES",
    "FAMILY_GROUPS",
    "MODEL",
    "SPACE_VERSION",
    "BuildContext",
    "DataDescription",
    "ModelFamily",
    "PipelineSpace",
    "build_pipeline",
    "expand_families",
    "register_family",
    "unregister_family",
]
