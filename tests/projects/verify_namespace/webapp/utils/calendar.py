raise ImportError("webapp/utils/calendar.py, not the standard library's calendar")
