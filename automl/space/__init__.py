"""The pipeline space: model families, preprocessing, and configuration -> Pipeline."""

from automl.space.models import FAMILIES, FAMILY_GROUPS, BuildContext, ModelFamily
from automl.space.pipeline_space import (
    MODEL,
    SPACE_VERSION,
    DataDescription,
    PipelineSpace,
    build_pipeline,
    expand_families,
)

__all__ = [
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
]
