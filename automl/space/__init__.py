"""The pipeline space: model families, preprocessing, and configuration -> Pipeline."""

from automl.space.family import BuildContext, ModelFamily
from automl.space.pipeline_space import (
    MODEL,
    SPACE_VERSION,
    TEXT_FEATURES,
    DataDescription,
    PipelineSpace,
    TextFeatureNames,
    build_pipeline,
    expand_families,
)
from automl.space.registry import (
    BUILTIN_FAMILIES,
    FAMILIES,
    FAMILY_GROUPS,
    family_order,
    preload_modules,
    register_family,
    unregister_family,
)

__all__ = [
    "BUILTIN_FAMILIES",
    "FAMILIES",
    "FAMILY_GROUPS",
    "MODEL",
    "SPACE_VERSION",
    "TEXT_FEATURES",
    "BuildContext",
    "DataDescription",
    "ModelFamily",
    "PipelineSpace",
    "TextFeatureNames",
    "build_pipeline",
    "expand_families",
    "family_order",
    "preload_modules",
    "register_family",
    "unregister_family",
]
