"""``extriage case serve``: the response team's web dashboard over one case store."""
