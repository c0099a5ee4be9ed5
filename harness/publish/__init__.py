"""Publishers: the regression sheet (Google Sheets via gspread) and its offline twin (.xlsx).

`layout` turns records into the three tabs' rows (pure); `workbook` and `sheet` write them.
Only the CLI, the plugin's session end and nox import this package's targets.
"""
