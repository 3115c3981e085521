"""One APIRouter per resource: health, chat, feedback, register, admin, static."""
