export const ROOM_CHECKS = [];
