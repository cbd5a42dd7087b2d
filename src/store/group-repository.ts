/** Scheduling-domain rows: one per group (named by its master), one per member. */
import type { Db } from './database.ts';
import type { GroupRecord } from './records.ts';

export interface GroupRepository {
  list(): GroupRecord[];
  /** Replace the stored group of `group.master` (members included) with this one. */
  save(group: GroupRecord): void;
  delete(master: number): void;
}

interface MemberRow {
  master: number;
  member: number;
  share: number;
}

export function groupRepository(db: Db): GroupRepository {
  const selectGroups = db.prepare<[], { master: number; master_share: number }>(
    'SELECT master, master_share FROM sched_groups ORDER BY master',
  );
  const selectMembers = db.prepare<[], MemberRow>(
    'SELECT master, member, share FROM sched_group_members ORDER BY master, joined_seq',
  );
  const upsertGroup = db.prepare<[number, number]>(
    `INSERT INTO sched_groups (master, master_share) VALUES (?, ?)
     ON CONFLICT (master) DO UPDATE SET master_share = excluded.master_share`,
  );
  const deleteMembers = db.prepare<[number]>('DELETE FROM sched_group_members WHERE master = ?');
  const insertMember = db.prepare<[number, number, number, number]>(
    'INSERT INTO sched_group_members (member, master, share, joined_seq) VALUES (?, ?, ?, ?)',
  );
  const deleteGroup = db.prepare<[number]>('DELETE FROM sched_groups WHERE master = ?');

  return {
    list() {
      const members = selectMembers.all();
      return selectGroups.all().map((group) => ({
        ...group,
        members: members
          .filter((row) => row.master === group.master)
          .map((row) => ({ domid: row.member, share: row.share })),
      }));
    },
    save(group) {
      upsertGroup.run(group.master, group.master_share);
      deleteMembers.run(group.master);
      group.members.forEach((member, index) => insertMember.run(member.domid, group.master, member.share, index));
    },
    delete: (master) => void deleteGroup.run(master),
  };
}
