"""Gold: the dashboard's payloads, research indices, golden Parquet and the Supabase bridge."""
