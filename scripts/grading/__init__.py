"""The grader of notebook 7 (``make grade``): see ``scripts/grade.py`` for the command and the design.

identity.py   who a file belongs to (set_student, roster, file name) and which variant it is graded on
submission.py one notebook: run contained, answers as data, checked here, failed cells attributed
written.py    the written (✍) answers and their questions
reports.py    grades.csv (wide, for the LMS), grades_long.csv, summary.html, written_answers.html
"""
