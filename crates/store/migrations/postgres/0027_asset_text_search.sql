-- An asset list filtered by text tests every asset of the client in name
-- order until the page is full; with the searched text in an index beside
-- the name, the test can be answered from the index.
CREATE INDEX assets_client_text ON assets (client_id, name_key, search_text);
