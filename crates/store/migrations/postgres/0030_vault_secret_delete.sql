-- A deleted credential keeps its row, so that the reveal log and the
-- rotation tickets that name it still hold, but not its secret: the
-- ciphertext of the secret and notes is wiped when it is deleted. Its name
-- is free again for a new credential.
ALTER TABLE vault_secrets ADD COLUMN deleted_at BIGINT;
DROP INDEX vault_secrets_client_name;
CREATE UNIQUE INDEX vault_secrets_client_name ON vault_secrets (client_id, name_key) WHERE deleted_at IS NULL;
DROP INDEX vault_secrets_client_due;
CREATE INDEX vault_secrets_client_due ON vault_secrets (client_id, rotation_due_on) WHERE deleted_at IS NULL;
