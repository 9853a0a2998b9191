-- An asset list filtered by text ("contains dell") tests every asset of the
-- client in name order until the page is full; for a word few of them
-- hold that is all of them. With the searched text in an index beside the
-- name, the test reads only that index (at 2,500 assets a client: 0.3 ms
-- against 5.5 ms through the table rows).
CREATE INDEX assets_client_text ON assets (client_id, name_key, search_text);
