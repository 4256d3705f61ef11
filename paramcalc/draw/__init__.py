"""Drawings of an analysed network: model.py cuts it at a depth, layout.py positions boxes, writers only print.

    Analysis --model.build--> Diagram --layout.layout--> Layout --svg | png | dot | mermaid | html--> text or bytes
"""
