"""The walkaround's words (spec WLK-01..09): the car's panels, the kinds of
damage marked on them, and their names as the screen and the printouts show them."""

from __future__ import annotations

from desk.i18n import N_

#: The panels of the car, numbered 1.. in this order on the walkaround screen.
PANELS = (
    "front_bumper",
    "bonnet",
    "roof",
    "boot",
    "rear_bumper",
    "front_left",
    "front_right",
    "rear_left",
    "rear_right",
    "door_front_left",
    "door_front_right",
    "door_rear_left",
    "door_rear_right",
    "windscreen",
    "wheels",
)
DAMAGE_KINDS = ("scratch", "dent", "crack", "chip")

PANEL_NAMES = {
    "front_bumper": N_("front bumper"),
    "bonnet": N_("bonnet"),
    "roof": N_("roof"),
    "boot": N_("boot"),
    "rear_bumper": N_("rear bumper"),
    "front_left": N_("front left wing"),
    "front_right": N_("front right wing"),
    "rear_left": N_("rear left wing"),
    "rear_right": N_("rear right wing"),
    "door_front_left": N_("front left door"),
    "door_front_right": N_("front right door"),
    "door_rear_left": N_("rear left door"),
    "door_rear_right": N_("rear right door"),
    "windscreen": N_("windscreen"),
    "wheels": N_("wheels"),
}
DAMAGE_NAMES = {"scratch": N_("scratch"), "dent": N_("dent"), "crack": N_("crack"), "chip": N_("chip")}


def known_damage(mark: dict) -> bool:
    """A damage mark names a known panel and a known kind."""
    return mark.get("panel") in PANELS and mark.get("kind") in DAMAGE_KINDS
