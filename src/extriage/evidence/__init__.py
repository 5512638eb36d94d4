"""Finding and opening evidence read-only: drive roots, KAPE/Velociraptor collections, zips, folders."""
