"""Self-contained HTML reports: data.py gathers what to show, page.py fills the template in assets/ with it.

The page's JavaScript and CSS are files in assets/ (the graph view, the report, the styles), and the libraries it
uses are vendored in assets/vendor/ (see VENDORED.md there): the HTML works offline and from a file:// URL.
"""
