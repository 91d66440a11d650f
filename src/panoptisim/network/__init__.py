"""Social network: generators and the CSR graph with an active-edge mask."""

from panoptisim.network.generators import (
    make_configuration,
    make_erdos_renyi,
    make_households,
    make_small_world,
)
from panoptisim.network.graph import Graph, from_edges

__all__ = ["Graph", "from_edges", "make_configuration", "make_erdos_renyi",
           "make_households", "make_small_world"]
