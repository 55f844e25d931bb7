"""patcc's IRDL dialects: `nn` (graph level) and `pat` (pattern level)."""
