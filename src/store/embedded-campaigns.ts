import type Database from "better-sqlite3";
import { Campaign } from "../campaign/campaign.js";
import { byCreatedDesc, decode, encode } from "./store.js";

/** Campaigns in the embedded store: one row each, the version beside the JSON for compare-and-set. */
export const CAMPAIGN_TABLES = `
CREATE TABLE IF NOT EXISTS campaigns (id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);
`;

export class EmbeddedCampaigns {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      get: db.prepare<[string], { json: string }>("SELECT json FROM campaigns WHERE id = ?"),
      version: db.prepare<[string], { version: number }>("SELECT version FROM campaigns WHERE id = ?"),
      all: db.prepare<[], { id: string; json: string }>("SELECT id, json FROM campaigns"),
      put: db.prepare(
        "INSERT INTO campaigns (id, version, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, json = excluded.json",
      ),
    };
  }

  /** Whether `next` is the stored version + 1 (1: the campaign does not exist yet). Inside the caller's transaction. */
  fits(next: Campaign): boolean {
    return (this.sql.version.get(next.id)?.version ?? 0) === next.version - 1;
  }

  /** Writes a campaign the caller checked with `fits`, inside the same transaction. */
  put(next: Campaign): void {
    this.sql.put.run(next.id, next.version, encode(Campaign, `campaigns/${next.id}`, next));
  }

  get(id: string): Campaign | undefined {
    const row = this.sql.get.get(id);
    return row && decode(Campaign, `campaigns/${id}`, row.json);
  }

  list(): Campaign[] {
    return this.sql.all
      .all()
      .map((row) => decode(Campaign, `campaigns/${row.id}`, row.json))
      .sort(byCreatedDesc);
  }
}
