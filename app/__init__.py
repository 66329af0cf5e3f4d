"""The faces of KIT Flow (CLI, dashboard, reports) and the pipeline that composes the layers."""
