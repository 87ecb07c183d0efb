/* pins.h - the maps a runtime pins under /sys/fs/bpf/mmp/NAME, so that
 * 'mmp stats' can read its figures while it runs. Shared by the runtime,
 * which pins and unpins, and by 'mmp stats', which reads them and removes
 * those of a runtime that is gone. */
#ifndef MMP_PINS_H
#define MMP_PINS_H

#include <stdbool.h>
#include <stddef.h>

#include <bpf/libbpf.h>

#include "bpf/mmp_shared.h"

#define PIN_ROOT "/sys/fs/bpf/mmp"

/* A runtime's name is a directory under PIN_ROOT and mmp_meta.name: so
 * 1 to 63 of [A-Za-z0-9_-], nothing that leaves the directory. */
#define PIN_NAME_MAX 63
bool pins_name_ok(const char *name);
/* The runtime name of FILE, a file NAME then SUFFIX (".lock", ".journal")
 * in NAME_LOCK_DIR, into NAME: false if FILE is not one, or the name not
 * a runtime's. */
bool pins_name_of_file(const char *file, const char *suffix, char name[PIN_NAME_MAX + 1]);
/* The pin directory of the runtime NAME, in BUF. */
void pins_dir(char *buf, size_t len, const char *name);
/* An fd of the map MAP pinned in DIR, or -errno. */
int pins_open(const char *dir, const char *map);
/* Is the runtime that wrote META still running? By its name lock; without
 * one, false only when its pid is gone or belongs to a process started
 * after it. */
bool pins_runtime_alive(const struct mmp_meta *meta);
/* Removes DIR and what is pinned in it, and PIN_ROOT if that leaves it empty. */
void pins_remove(const char *dir);
/* A runtime holds its name with an exclusive flock on
 * NAME_LOCK_DIR/NAME.lock for as long as it runs; the kernel lets go of
 * it however the runtime ends. Two starts under one name cannot both
 * win, and a live runtime is told from a dead one's pins by the lock. */
#define NAME_LOCK_DIR "/run/mmp"
/* Takes NAME (its lock into *LOCK_FD, pins_release lets go) and makes DIR
 * this runtime's, removing the pins a dead runtime left there. -EBUSY
 * after a message when a runtime of that name runs. */
int pins_claim(const char *name, const char *dir, int *lock_fd);
/* Takes NAME quietly: its lock fd, or -EBUSY while a runtime holds it. */
int pins_take(const char *name);
/* The same, if NAME's lock file is there (a runtime that was killed left
 * it); -ENOENT if it is not (the last holder let go cleanly). */
int pins_take_left(const char *name);
/* Lets go of NAME, taken by pins_claim or pins_take: removes its lock
 * file and closes LOCK_FD. (A runtime that is killed leaves the file, and
 * its guardian or the next to take the name removes it.) */
void pins_release(const char *name, int lock_fd);
/* Is NAME held by a running runtime? 1 or 0; -1 when it has no lock. */
int pins_held(const char *name);
/* Does any runtime (but one that let go of its name) run? */
bool pins_any_held(void);
/* Pins the maps that 'mmp stats' reads from BPF in DIR. Returns 0 or
 * -errno after an error message. */
int pins_create(const char *dir, struct bpf_object *bpf);

#endif
