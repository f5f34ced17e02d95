// The thin ncursesw shim (swift-nio's CNIOLinux pattern): prefixed static inline
// wrappers for what Swift cannot import from curses.h (function-like macros,
// attribute bits, globals under Swift 6). Only SteerTUI's CursesBackend imports it.
#ifndef STEERTOP_CNCURSESW_SHIM_H
#define STEERTOP_CNCURSESW_SHIM_H

// SwiftPM drops pkg-config's -D flags: ask for the wide-character API here.
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#include <curses.h>

static inline WINDOW *steer_stdscr(void) { return stdscr; }
static inline int steer_lines(void) { return LINES; }
static inline int steer_cols(void) { return COLS; }
static inline int steer_colors(void) { return COLORS; }
static inline int steer_color_pairs(void) { return COLOR_PAIRS; }
static inline void steer_getmaxyx(WINDOW *w, int *y, int *x) { int yy, xx; getmaxyx(w, yy, xx); *y = yy; *x = xx; }

static inline unsigned int steer_a_normal(void) { return (unsigned int)A_NORMAL; }
static inline unsigned int steer_a_bold(void) { return (unsigned int)A_BOLD; }
static inline unsigned int steer_a_dim(void) { return (unsigned int)A_DIM; }
static inline unsigned int steer_a_reverse(void) { return (unsigned int)A_REVERSE; }
static inline unsigned int steer_a_underline(void) { return (unsigned int)A_UNDERLINE; }

static inline int steer_key_left(void) { return KEY_LEFT; }
static inline int steer_key_right(void) { return KEY_RIGHT; }
static inline int steer_key_up(void) { return KEY_UP; }
static inline int steer_key_down(void) { return KEY_DOWN; }
static inline int steer_key_home(void) { return KEY_HOME; }
static inline int steer_key_end(void) { return KEY_END; }
static inline int steer_key_npage(void) { return KEY_NPAGE; }
static inline int steer_key_ppage(void) { return KEY_PPAGE; }
static inline int steer_key_resize(void) { return KEY_RESIZE; }
static inline int steer_key_backspace(void) { return KEY_BACKSPACE; }
static inline int steer_key_enter(void) { return KEY_ENTER; }
static inline int steer_err(void) { return ERR; }

/// Writes `n` wide characters at (y, x) with attributes and a colour pair; no wrapping.
static inline int steer_put(int y, int x, const wchar_t *s, int n, unsigned int attrs, short pair) {
    attr_set((attr_t)attrs, pair, NULL);
    return mvaddnwstr(y, x, s, n);
}
#endif
