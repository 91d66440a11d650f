"""A local web dashboard (Panel) to explore a built-in scenario live.

``panoptisim dashboard [--port 8050] [--host 127.0.0.1]``; needs the ``dashboard`` extra
(``pip install 'panoptisim[dashboard]'``).
"""
