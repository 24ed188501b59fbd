"""bpquiz: one backpropagation exercise per student — worksheets, worked solutions, automatic grading."""

__version__ = "0.1.0"
