from typing import Annotated

from fastapi import APIRouter, Path, Query

router = APIRouter()


@router.get('/invoices/{invoice_id}')
async def get_invoice(invoice_id: Annotated[int, Path(gt=0)]):
    return {'id': invoice_id}


@router.get('/invoices')
async def list_invoices_by_status(order_status: str = Query('open')):
    return {'status': order_status}


PAGES = {'first':1, 'last':-1}
