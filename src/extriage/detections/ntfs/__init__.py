"""What NTFS itself keeps beyond copied files (change journal), as data beside small engines."""
