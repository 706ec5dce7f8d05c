"""Reports: build a document from a template's sections, render it as PDF, PPTX, XLSX or CSV.

``document`` is the contract between the builder and the renderers; ``build`` computes a
``ReportDocument`` from the same panels and Plotly figures as the dashboards; ``render_*`` lay it
out; ``services`` archives runs, sends them and shares them.
"""
