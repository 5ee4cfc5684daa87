#!/bin/sh
# Hardware task switches under -accel interp (roms/tests/tasks.S): CALL and INT through
# task gates with the back link and NT, IRET back, #GP through a task gate with its
# error code on the new task's stack.
. tests/interp/lib.sh
interp_run_rom tasks
finish
