"""The in-app messenger (IM-01 … IM-13): chats and groups, receipts, recall, official and service accounts, contacts
and the alumni circle, inside the same server-rendered app (SSE when JS runs, plain forms when it does not)."""
