"""Behaviour reading of compiled .NET assemblies: request input reaching dangerous operations in IL.

A web shell's source is not always on disk: compiled pages stay in Temporary ASP.NET Files after the
``.aspx`` is deleted, handler DLLs are dropped into a site's ``bin/``, and an ASP.NET Core site runs only
its compiled assembly. :mod:`.reader` reads the metadata and method bodies, :mod:`.analysis` walks the IL
with the vocabulary of ``vocabulary.yml``, :mod:`.finding` says which assemblies are read and words
the findings.
"""
