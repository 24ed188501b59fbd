"""Marking what students hand back: reading answers and submissions, grading, reports."""
