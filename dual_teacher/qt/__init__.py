"""The only package that imports PySide6: the classroom window and (later) the teacher console."""
