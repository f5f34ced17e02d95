extension Theme {
    /// The built-in default theme: exactly the text of themes/default.theme (a test
    /// compares them), so steertop looks the same when its theme files are not installed.
    public static let builtinSource = """
# steertop default theme (built into steertop too: this file and the built-in copy
# in Sources/SteerTUI/Theme/BuiltinTheme.swift must stay identical; a test checks).
#
# One role a line:   role = fg [on bg] [bold] [dim] [reverse] [underline]
# A colour is a name (default, black, red, green, yellow, blue, magenta, cyan, white,
# bright-black ... bright-white), a number 0-255, or "256/8": 208/yellow is colour 208
# on a 256-colour terminal and yellow on an 8-colour one. Attributes also apply where
# the terminal has no colours; roles left out keep these styles.

header    = 231/white on 24/blue bold
title     = 81/cyan bold
border    = 240/blue
label     = 246/default
text      = default

# CPU bars: usr, sys, irq and softirq time stacked; idle is the rest of the bar.
usr       = 71/green
sys       = 167/red
irq       = 179/yellow
soft      = 170/magenta
idle      = 239/default dim

net       = 80/cyan
drop      = 196/red bold
squeeze   = 214/yellow bold

ok        = 77/green
warn      = 214/yellow bold
error     = 196/red bold
mode      = 214/yellow bold
stream    = 117/cyan
stale     = 244/default dim
sparkline = 75/blue
selection = 16/black on 214/yellow bold
help      = 252/white on 236/black
rec       = 196/red bold

"""
}
